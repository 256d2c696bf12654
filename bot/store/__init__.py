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
* ``cards``: order cards, how long orders are held, and re-reads of an order (Refresh)
* ``owners``: who is on an order, and its snooze
* ``reminders``: reminders of open holds, as rows
* ``waiting``: the outbox rows that wait for a rule's settle time or hours
* ``lifecycle``: what a poll does to all of these, inside its transaction
* ``summaries``: when each summary last ran
* ``confirmations``: delete confirmations and the audit trail
* ``lease``: the writer lease (one process polls and delivers per database)
* ``meta``: a small key/value table
* ``faults``: what failed when the database fails (disk full, read-only, replaced file)
* ``asyncstore``: ``AsyncStore``, the store's own thread for async code, which notices faults
"""

from bot.store.asyncstore import AsyncStore
from bot.store.cards import (
    Card,
    OrderHold,
    OrderView,
    card_at,
    cards_of,
    get_card,
    hold_starts,
    order_view,
    queue_card_updates,
    watch_started_at,
)
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
    STATES,
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
    waiting_counts,
)
from bot.store.owners import Owner, Take, TakeResult, get_owner, owners_of
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
from bot.store.queueing import OutboxMessage
from bot.store.reminders import Reminder, next_reminder_at, open_reminders
from bot.store.schema import StoreError, open_db
from bot.store.snapshot import (
    SnapshotRow,
    SuborderState,
    current_holds,
    get_snapshot_row,
    hold_counts,
    hold_started,
    load_snapshot,
    snapshot_count,
)
from bot.store.threads import channel_id, get_thread, learn_channel, set_thread

__all__ = [
    "STATES",
    "AsyncStore",
    "AuditRow",
    "Card",
    "ClaimResult",
    "Confirmation",
    "Lease",
    "LeaseHolder",
    "LeaseLost",
    "OrderHold",
    "OrderView",
    "OutboxMessage",
    "OutboxRow",
    "OutboxStats",
    "Owner",
    "PollBasis",
    "PollEvent",
    "PollRow",
    "Reminder",
    "SnapshotRow",
    "StaleSnapshot",
    "StoreError",
    "StoreFault",
    "StoreUnavailable",
    "StoredEvent",
    "SuborderState",
    "Take",
    "TakeResult",
    "audit_log",
    "begin_attempt",
    "card_at",
    "cards_of",
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
    "get_card",
    "get_confirmation",
    "get_lease",
    "get_meta",
    "get_outbox",
    "get_owner",
    "get_snapshot_row",
    "get_thread",
    "hold_counts",
    "hold_started",
    "hold_starts",
    "last_deletion",
    "last_poll",
    "last_successful_poll",
    "learn_channel",
    "load_snapshot",
    "mark_dead",
    "mark_delivered",
    "mark_retry",
    "next_due_at",
    "next_reminder_at",
    "open_db",
    "open_reminders",
    "order_view",
    "outbox_counts",
    "outbox_stats",
    "owners_of",
    "polls_since",
    "queue_card_updates",
    "read_poll_basis",
    "record_delivery",
    "record_failed_poll",
    "release_lease",
    "renew_lease",
    "save_poll",
    "set_meta",
    "set_thread",
    "snapshot_count",
    "waiting_counts",
    "watch_started_at",
    "write_audit",
]
