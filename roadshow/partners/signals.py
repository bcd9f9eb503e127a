"""What the partners domain tells the domains above it (blinker signals).

Partners sit below accounts (a partner user belongs to a partner), so a partner service
cannot write the audit log itself. It sends ``partner_saved`` after the change is flushed;
accounts subscribes at start-up and writes the entry into the same transaction.

================  =====================================================  ================
signal            keyword arguments                                      receivers
================  =====================================================  ================
partner_saved     ``session``, ``actor`` (a ``User`` or None),            accounts: the
                  ``action`` ("partner.created", "partner.changed"),     audit log
                  ``changes`` (``[{"field", "old", "new"}]``)
================  =====================================================  ================
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

partner_saved = _signals.signal("partner-saved")
