"""The bot's SQLite database: the hold watcher's snapshot, events, outbox and poll log, the
alert threads, the delete confirmations, the audit trail and a small key/value table.

sqlite-utils style: plain functions that take a ``sqlite_utils.Database`` first, so they can
be called directly (tests, the CLI) or from async code through ``AsyncStore``, which runs them
on one dedicated thread that owns the connection, so the event loop never waits on SQLite.

Every timestamp is stored as ``bot.clock.iso`` writes it (ISO 8601, UTC, microseconds), so
text comparison is time comparison. Functions take and return aware ``datetime`` objects.

One module per table family; callers import from ``bot.store``:

* ``schema``: ``open_db`` and the migrations; ``unusable`` says why a file cannot be used
* ``snapshot``: the shipments the watcher last read
* ``polls``: the poll log and its events; ``save_poll`` writes a whole poll at once
* ``outbox``: the Slack messages to post, from pending through sending to delivered
* ``threads``: the alert threads, and the Slack ID of each channel the rules name
* ``confirmations``: delete confirmations and the audit trail
* ``lease``: the writer lease (one process polls and delivers per database)
* ``meta``: a small key/value table
* ``faults``: what failed when the database fails (disk full, read-only, replaced file)
* ``asyncstore``: ``AsyncStore``, the store's own thread for async code, which notices faults
"""

from bot.store.asyncstore import AsyncStore
from bot.store.confirmations import (
    AuditRow,
    ClaimResult,
    Confirmation,
    audit_log,
    claim_confirmation,
    confirmation_state,
    create_confirmation,
    get_confirmation,
    last_deletion,
    write_audit,
)
from bot.store.faults import StoreFault, StoreUnavailable
from bot.store.lease import (
    Lease,
    LeaseHolder,
    LeaseLost,
    claim_lease,
    get_lease,
    release_lease,
    renew_lease,
)
from bot.store.meta import get_meta, set_meta
from bot.store.outbox import (
    OutboxMessage,
    OutboxRow,
    OutboxStats,
    begin_attempt,
    channel_queue,
    channels_with_work,
    dead_letters,
    due_outbox,
    get_outbox,
    mark_dead,
    mark_delivered,
    mark_retry,
    next_due_at,
    outbox_counts,
    outbox_stats,
    record_delivery,
)
from bot.store.polls import (
    PollBasis,
    PollEvent,
    PollRow,
    StaleSnapshot,
    StoredEvent,
    events_of_poll,
    events_since,
    last_poll,
    last_successful_poll,
    polls_since,
    read_poll_basis,
    record_failed_poll,
    save_poll,
)
from bot.store.schema import StoreError, open_db
from bot.store.snapshot import (
    SnapshotRow,
    SuborderState,
    current_holds,
    get_snapshot_row,
    hold_counts,
    load_snapshot,
    snapshot_count,
)
from bot.store.threads import channel_id, get_thread, learn_channel, set_thread

__all__ = [
    "AsyncStore",
    "AuditRow",
    "ClaimResult",
    "Confirmation",
    "Lease",
    "LeaseHolder",
    "LeaseLost",
    "OutboxMessage",
    "OutboxRow",
    "OutboxStats",
    "PollBasis",
    "PollEvent",
    "PollRow",
    "SnapshotRow",
    "StaleSnapshot",
    "StoreError",
    "StoreFault",
    "StoreUnavailable",
    "StoredEvent",
    "SuborderState",
    "audit_log",
    "begin_attempt",
    "channel_id",
    "channel_queue",
    "channels_with_work",
    "claim_confirmation",
    "claim_lease",
    "confirmation_state",
    "create_confirmation",
    "current_holds",
    "dead_letters",
    "due_outbox",
    "events_of_poll",
    "events_since",
    "get_confirmation",
    "get_lease",
    "get_meta",
    "get_outbox",
    "get_snapshot_row",
    "get_thread",
    "hold_counts",
    "last_deletion",
    "last_poll",
    "last_successful_poll",
    "learn_channel",
    "load_snapshot",
    "mark_dead",
    "mark_delivered",
    "mark_retry",
    "next_due_at",
    "open_db",
    "outbox_counts",
    "outbox_stats",
    "polls_since",
    "read_poll_basis",
    "record_delivery",
    "record_failed_poll",
    "release_lease",
    "renew_lease",
    "save_poll",
    "set_meta",
    "set_thread",
    "snapshot_count",
    "write_audit",
]
