"""Writing files so that a kill, a full disk or a second process never leaves a half-written one."""
