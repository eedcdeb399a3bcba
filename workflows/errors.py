"""The error types that cross from activities and validators to workflows and the API, named
once: activities raise them, retry policies (workflows/common.py) and the API's problem mapping
(api/cases.py) name them from here."""

# Validators: a refused command (HTTP 409) and an invalid one (HTTP 422).
REFUSED = "CommandRefused"  # the case's stage does not allow the command
INVALID = "InvalidCommand"  # the command itself is incomplete or contradictory

# E-mail (activities/email.py)
PERMANENT_DELIVERY_FAILURE = "PermanentDeliveryFailure"  # 5xx on RCPT/DATA: do not retry
TEMPORARY_DELIVERY_FAILURE = "TemporaryDeliveryFailure"  # 4xx, connection trouble: retried
TEMPLATE_ERROR = "EmailTemplateError"  # unknown template or missing context: a bug
# Our SMTP configuration is wrong: login refused (535), server certificate not trusted, TLS mode
# not what the server speaks. Retryable on purpose (see activities/email.py, _DeliveryFailure).
SMTP_CONFIGURATION_ERROR = "SmtpConfigurationError"

# The Biosafety Clearing-House (activities/bch.py)
BCH_UNAVAILABLE = "BchUnavailable"  # 5xx, 429, timeouts, connection errors: retried
BCH_AUTHENTICATION_FAILED = "BchAuthenticationFailed"  # credentials refused: retried until fixed
BCH_VALIDATION_ERROR = "BchValidationError"  # the BCH's validation report has errors (400 or 200)
BCH_RECORD_INVALID = "BchRecordInvalid"  # our record fails our own schema: bad input or a bug
# Any other 4xx, or an answer without what the documentation promises: no retry changes it.
BCH_REQUEST_REJECTED = "BchRequestRejected"
# An exporter's or importer's contact record awaits publication: the decision that references
# it follows once it is published (retried).
BCH_CONTACT_PENDING = "BchContactPending"

# The register (activities/register.py)
REGISTER_ROW_INVALID = "RegisterRowInvalid"  # PostgreSQL refuses the row's data: no retry helps
