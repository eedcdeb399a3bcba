"""What the kernel keeps of a case between runs: carried over when a long case continues as new,
so that its history, messages, fired reminders and register position survive."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from activities.bch import BchDecisionInput
from activities.email import EmailRequest
from workflows.models import OutgoingView, Step


class Message(BaseModel):
    """One outgoing e-mail or BCH record of the case, keyed by case and step."""

    key: str
    channel: Literal["email", "bch"]
    recipient: str
    purpose: str
    payload: EmailRequest | BchDecisionInput
    status: Literal["pending", "sent", "failed"] = "pending"
    detail: str | None = None

    def view(self) -> OutgoingView:
        return OutgoingView(
            key=self.key,
            channel=self.channel,
            recipient=self.recipient,
            purpose=self.purpose,
            status=self.status,
            detail=self.detail,
        )


class KernelState(BaseModel):
    steps: list[Step] = Field(default_factory=list)
    messages: list[Message] = Field(default_factory=list)
    fired: list[str] = Field(default_factory=list, description="reminders and lapses acted on")
    publications: list[str] = Field(default_factory=list)
    version: int = 0
    synced_version: int = 0
    synced_steps: int = 0
    register_refused: bool = Field(default=False, description="the register refused a row once")
    runs: int = Field(default=1, description="how many runs the case has had (continue-as-new)")
