"""Robot errors: controller ErrorIDs mapped to exception classes with readable messages.

FANUC RMI reports errors as integer ``ErrorID``s; ``2556929 + k`` is alarm RMIT-(k+1)
(2556935 = RMIT-007). Alarms of other facilities come as facility code * 1000 + number, as
KAREL status codes do: 11050 is SRVO-050 (collision detected). Each error class below names what an operator has to do, so a
stopped evaluation says why it stopped. All of them are :class:`RobotError`, itself a
:class:`~simgrasp.backends.base.BackendError` the evaluation loop can catch.
"""

from __future__ import annotations

from simgrasp.backends.base import BackendError

RMIT_BASE = 2556928  # ErrorID of RMIT-000; RMIT-n is RMIT_BASE + n
SRVO_BASE = 11000  # ErrorID of SRVO-000 (servo alarms, facility 11)
COLLISION_DETECTED = SRVO_BASE + 50  # SRVO-050: the arm hit something and stopped


class RobotError(BackendError):
    """The robot cell cannot go on: fault, refusal, timeout or lost connection."""


class RMIConnectionError(RobotError):
    """The TCP link to the controller failed or was closed."""


class RMITimeoutError(RobotError):
    """No reply within the allowed time."""


class RMIProtocolError(RobotError):
    """A packet that is not valid RMI JSON, or a reply that does not match the request."""


class RMIErrorReply(RobotError):
    """The controller answered a packet with a non-zero ``ErrorID``."""

    def __init__(self, error_id: int, packet: str = "", detail: str = "") -> None:
        self.error_id = int(error_id)
        self.packet = packet
        where = f" to {packet}" if packet else ""
        super().__init__(f"controller replied{where} with {describe_error(self.error_id)}{detail}")


class ServoOffError(RMIErrorReply):
    """RMIT-007: servo power is off (e-stop, fence open or servos disabled)."""


class TeachPendantEnabledError(RMIErrorReply):
    """RMIT-008: the teach pendant is enabled, so remote motion is refused."""


class SequenceIDError(RMIErrorReply):
    """RMIT-029: an instruction's SequenceID was not the next one; the robot is held
    until ``FRC_Reset``."""


class HoldError(RMIErrorReply):
    """RMIT-024: RMI is in HOLD; nothing moves until ``FRC_Reset``."""


class AlreadyConnectedError(RMIErrorReply):
    """RMIT-026: another client holds the RMI session."""


class SystemFaultError(RMIErrorReply):
    """The controller pushed ``FRC_SystemFault``: it stopped executing instructions."""


# Readable names for the ErrorIDs a grasp cell meets; others print as "RMIT-nnn".
ERROR_TEXT: dict[int, str] = {
    RMIT_BASE + 1: "internal system error",
    RMIT_BASE + 5: "invalid speed override (expected 1..100)",
    RMIT_BASE + 7: "servo power is off (e-stop, fence, or servos disabled)",
    RMIT_BASE + 8: "the teach pendant is enabled (disable it and set the controller to AUTO)",
    RMIT_BASE + 9: "RMI is not running (send FRC_Initialize first)",
    RMIT_BASE + 13: "invalid RMI command",
    RMIT_BASE + 15: "invalid controller state",
    RMIT_BASE + 20: "invalid RMI instruction",
    RMIT_BASE + 21: "invalid value",
    RMIT_BASE + 23: "invalid position data",
    RMIT_BASE + 24: "RMI is in HOLD (send FRC_Reset)",
    RMIT_BASE + 25: "remote device disconnected",
    RMIT_BASE + 26: "the robot is already connected to another client",
    RMIT_BASE + 28: "too many instructions outstanding (wait for one to finish)",
    RMIT_BASE + 29: "sequence ID out of order; the robot is held until FRC_Reset",
    RMIT_BASE + 31: "invalid speed value",
    RMIT_BASE + 36: "invalid destination position (unreachable)",
    COLLISION_DETECTED: "collision detected: the arm stopped at contact (clear it, then FRC_Reset)",
}

_ERROR_CLASSES: dict[int, type[RMIErrorReply]] = {
    RMIT_BASE + 7: ServoOffError,
    RMIT_BASE + 8: TeachPendantEnabledError,
    RMIT_BASE + 24: HoldError,
    RMIT_BASE + 26: AlreadyConnectedError,
    RMIT_BASE + 29: SequenceIDError,
}


def rmit_code(error_id: int) -> str:
    """``"RMIT-007"`` for ErrorID 2556935, ``"SRVO-050"`` for 11050; ``"error 42"`` for
    IDs outside those ranges."""
    for base, facility in ((RMIT_BASE, "RMIT"), (SRVO_BASE, "SRVO")):
        k = int(error_id) - base
        if 0 < k < 1000:
            return f"{facility}-{k:03d}"
    return f"error {error_id}"


def describe_error(error_id: int) -> str:
    """``"RMIT-007 (servo power is off ...), ErrorID 2556935"``."""
    text = ERROR_TEXT.get(int(error_id))
    return f"{rmit_code(error_id)}{f' ({text})' if text else ''}, ErrorID {error_id}"


def error_from_id(error_id: int, packet: str = "") -> RMIErrorReply:
    """The exception for a non-zero ErrorID in the reply to ``packet``."""
    return _ERROR_CLASSES.get(int(error_id), RMIErrorReply)(error_id, packet)
