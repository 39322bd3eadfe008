"""The exit-status rule of every entry script, and absl's ``app.run`` made to follow it.

- 0: everything asked for was done.
- 1: the command ran, but part of the work failed (an input without a face, an export that misses its
  parity check, a full disk); what was finished is kept, and the messages say what failed.
- 2: the command cannot run as given: a flag value out of range or of the wrong type, a missing input
  file or folder, a layout that is not the one expected, a folder another process is writing.

Numeric flags declare their range where they are defined (absl's ``lower_bound``/``upper_bound``), so a
bad value stops the script before any work, with the flag named and status 2.
"""

import os
import sys

from absl import app, flags

from pel_keras.files.atomic import DiskFullError
from pel_keras.files.locks import FolderLockedError

OK, FAILED, USAGE = 0, 1, 2


def script_name():
    """The running script's file name, which starts every message (``predict.py: ...``)."""
    return os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "pel_keras"


def fail(message, status=USAGE):
    """Prints ``<script>: message`` to stderr and returns ``status`` (``return fail(...)`` from ``main``)."""
    print(f"{script_name()}: {message}", file=sys.stderr, flush=True)
    return status


def run(main, argv=None):
    """``absl.app.run(main)`` with :data:`USAGE` for flag errors and usage errors.

    A bad flag value exits with 2 before ``main`` starts. In ``main``, ``app.UsageError`` exits with 2 and
    prints the script's usage; :class:`FolderLockedError` with 2 and a :class:`DiskFullError` with 1, each
    as one line naming the folder.
    """
    app.run(_following_the_rule(main), argv=argv, flags_parser=_parse_flags)


def _parse_flags(argv):
    try:
        return flags.FLAGS(argv)
    except flags.Error as error:
        fail(f"{error}\nPass --helpshort to see the flags.")
        sys.exit(USAGE)


def _following_the_rule(main):
    def main_with_exit_rule(argv):
        try:
            return main(argv)
        except app.UsageError as error:
            error.exitcode = USAGE
            raise
        except FolderLockedError as error:
            return fail(str(error), USAGE)
        except DiskFullError as error:
            return fail(error.strerror, FAILED)

    return main_with_exit_rule
