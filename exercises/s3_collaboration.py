"""Scenario 3: collaborative editing.

A document is a hash ``doc:<id>`` with its ``text`` and ``rev`` (revision
number). An edit names the revision it was based on; it applies only if
that is still the current one (optimistic concurrency with WATCH), so two
editors never silently overwrite each other: the loser gets a conflict and
rebases. Every revision is kept in the list ``doc:<id>:history``, and each
change is published on ``doc:<id>:changes`` for the other clients.
"""

import json
from typing import Any, List, Optional, Tuple


def open_document(r: Any, doc: str) -> Tuple[int, str]:
    """``(rev, text)`` of the document; ``(0, "")`` for a new one."""
    raise NotImplementedError("s3_collaboration.open_document: write it (see the docstring)")


def apply_edit(r: Any, doc: str, base_rev: int, text: str, author: str) -> Optional[int]:
    """Replaces the text if the document is still at ``base_rev``: returns
    the new revision; None on a conflict (someone saved first)."""
    raise NotImplementedError("s3_collaboration.apply_edit: write it (see the docstring)")


def history(r: Any, doc: str) -> List[dict]:
    """Every revision, oldest first: ``{"rev", "author", "text"}``."""
    raise NotImplementedError("s3_collaboration.history: write it (see the docstring)")
