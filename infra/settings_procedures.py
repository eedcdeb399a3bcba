"""The settings of the procedures whose periods the treaties leave to the Party: the
simplified procedure (CP Art 13), emergencies (Art 17), confidentiality (Art 21), illegal
movements (Art 25) and response measures (the Supplementary Protocol). Part of ``Settings``
(infra/settings.py), read from the same variables."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

# SP Art 6(1)(a), 6(1)(b), 6(2): the exemptions domestic law may provide.
ResponseExemption = Literal["force_majeure", "war_or_civil_unrest", "other"]


class ProcedureSettings(BaseModel):
    # CP Art 13(1): a specification is made available to the BCH "in advance", with no number
    # of days in the Protocol; the authority's own period, snapshotted per specification.
    simplified_publication_days: int = Field(
        default=15,
        ge=1,
        le=365,
        description="days to have a simplified-procedure specification (and each amendment) "
        "published on the BCH (Art 13(1))",
    )
    # CP Art 17: "as soon as the Party knows" has no number of days in the Protocol, nor has
    # the consultation of 17(4) an end; both are the authority's own, snapshotted per case.
    emergency_notification_days: int = Field(
        default=1,
        ge=1,
        le=30,
        description="days from knowing of a release to notifying the affected States (Art 17(1))",
    )
    emergency_follow_up_days: int = Field(
        default=14,
        ge=1,
        le=365,
        description="interval of the follow-ups of an open emergency case (Art 17(4))",
    )
    # CP Art 21 sets no period for any of its steps: each is domestic (snapshotted per case).
    confidentiality_justification_days: int = Field(
        default=30, ge=1, le=365, description="Art 21(1): the notifier's time to justify a claim"
    )
    confidentiality_consultation_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="Art 21(2): the notifier's time to give its views before a claim is rejected",
    )
    confidentiality_review_request_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="Art 21(2): the notifier's time to ask for an internal review of a rejection "
        "(nothing is disclosed before it ends)",
    )
    confidentiality_review_decision_days: int = Field(
        default=60, ge=1, le=365, description="Art 21(2): the authority's time to decide a review"
    )
    # CP Art 25(2) sets no period: how long the Party of origin is given to answer the request
    # to dispose of an illegally moved LMO, and each follow-up after it (snapshotted per case).
    illegal_follow_up_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="days between follow-ups of an illegal movement until disposal (Art 25(2))",
    )
    # The Supplementary Protocol leaves these to domestic law (SP Arts 5(6), 6, 7, 8): the
    # settings of response-measure cases, snapshotted per case (workflows/response/models.py).
    response_follow_up_days: int = Field(
        default=30, ge=1, le=365, description="days between follow-up checks of response measures"
    )
    response_review_suspends: bool = Field(
        default=False,
        description="SP Art 5(6): a review of a decision on response measures suspends them "
        "(default: it does not impede them)",
    )
    response_financial_limit: int | None = Field(
        default=None, ge=1, description="SP Art 8: the most recovered from an operator; unset: none"
    )
    response_currency: str = Field(default="HUF", description="the currency of costs")
    response_exemptions: list[ResponseExemption] = Field(
        default=["force_majeure", "war_or_civil_unrest"],
        description="SP Art 6: the exemptions domestic law provides (JSON list)",
    )
    response_relative_limit_days: int = Field(
        default=3 * 365, ge=1, description="SP Art 7: relative time limit for actions"
    )
    response_relative_limit_from: Literal["knowledge", "occurrence"] = Field(
        default="knowledge", description="SP Art 7(b): what the relative time limit counts from"
    )
    response_absolute_limit_days: int = Field(
        default=15 * 365, ge=1, description="SP Art 7: absolute time limit for actions"
    )
    response_absolute_limit_from: Literal["occurrence", "movement"] = Field(
        default="occurrence", description="SP Art 7(b): what the absolute time limit counts from"
    )
    response_payment_days: int = Field(
        default=30, ge=1, le=365, description="SP Art 5(5): the operator's term to pay the costs"
    )
