"""Files replaced whole: written under a temporary name in the same folder, then renamed."""

import os


def atomic_write(path, text):
    """Writes ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    temporary = f"{path}.tmp-{os.uname().nodename}-{os.getpid()}"
    with open(temporary, "w", newline="") as f:
        f.write(text)
    os.replace(temporary, path)
