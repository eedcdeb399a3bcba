"""The public register's Annex I (api/public_register.py) is kept beside the notification's
Annex I (workflows/aia/models.py): an item added to one and not the other would silently drop
out of the public register, or show there unchecked for confidentiality (CP Art 21)."""

from api.public_register import PublicAnnexI
from tests.support.samples import notification
from workflows.aia.models import AnnexI


def test_every_annex_i_item_has_its_place_in_the_public_register_and_nothing_else() -> None:
    assert list(PublicAnnexI.model_fields) == list(AnnexI.model_fields)


def test_every_item_of_a_notification_reads_back_unchanged_when_not_withheld() -> None:
    items = notification("M-PUBLIC-1", confidential=[]).annex_i.model_dump()

    public = PublicAnnexI.model_validate(items).model_dump()

    assert public == items
    assert all(value is not None for value in public.values())
