from simgrasp.rehearsal.cli import inject, parse_args
from simgrasp.robots.errors import RMIT_BASE
from simgrasp.rehearsal.emulator import SESSION_PORT, RMIEmulator


def test_fault_flags_arm_the_emulator():
    args = parse_args(
        ["--drop-after", "5", "--fault-after", "3", "--fault-id", str(RMIT_BASE + 1), "--sequence-error-after", "4"]
    )
    with RMIEmulator(port=0) as emu:
        armed = inject(emu, args)
        assert len(armed) == 3
        assert emu._drop_in == 5 and emu._fault == (RMIT_BASE + 1, 3) and emu.ctl.sequence_error_in == 4


def test_defaults_are_a_controllers_ports_and_no_twin():
    args = parse_args([])
    assert (args.port, args.session_port, args.twin, args.console_port) == (16001, SESSION_PORT, False, 16010)
