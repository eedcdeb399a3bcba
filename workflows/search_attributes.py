"""Custom search attributes the officers filter on in the Temporal Web UI.

Registered at dev-server start (infra/devstack.py), in test fixtures, and in infra/ deployments.
No personal data goes into search attributes: only case keys, codes, stages and dates.
"""

from temporalio.common import SearchAttributeKey

CASE_ID = SearchAttributeKey.for_keyword("CaseId")
PROCEDURE = SearchAttributeKey.for_keyword("Procedure")
STAGE = SearchAttributeKey.for_keyword("Stage")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")
NEXT_DEADLINE_KIND = SearchAttributeKey.for_keyword("NextDeadlineKind")
CLOCK_STOPPED = SearchAttributeKey.for_bool("ClockStopped")
OVERDUE = SearchAttributeKey.for_bool("Overdue")
PARTY_OF_IMPORT = SearchAttributeKey.for_keyword("PartyOfImport")
PARTY_OF_EXPORT = SearchAttributeKey.for_keyword("PartyOfExport")
LMO_ID = SearchAttributeKey.for_keyword("LmoId")
MESSAGES_PENDING = SearchAttributeKey.for_bool("MessagesPending")

ALL_SEARCH_ATTRIBUTES: list[SearchAttributeKey] = [
    CASE_ID,
    PROCEDURE,
    STAGE,
    NEXT_DEADLINE,
    NEXT_DEADLINE_KIND,
    CLOCK_STOPPED,
    OVERDUE,
    PARTY_OF_IMPORT,
    PARTY_OF_EXPORT,
    LMO_ID,
    MESSAGES_PENDING,
]
