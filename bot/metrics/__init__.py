"""orderbot's metrics, in Prometheus's text format, at ``GET /metrics``.

Built on ``prometheus_client``, with a registry of its own for every running bot (never the
library's global default registry), so that several bots in one process (tests, the demo)
count each for itself. Every name starts with ``orderbot_``.

* ``registry``: ``Metrics``, the registry and every family, the methods the running bot's
  parts report to, and ``render`` (the page, in the format the scraper asks for);
* ``state``: what is read at each scrape rather than counted: the outbox by state, the holds
  open by hold code, the last successful poll (from the database), the writer lease, the
  store's health and Ingram's rate budget left.

The parts that are counted are not coupled to this package: the Ingram client reports its
calls through a callback (``bot.ingram.CallRecord``), the poller its polls (``on_report``),
the notifier its posts (``on_post``) and the Slack app its commands (``Services.on_command``);
``bot.runtime`` wires them to a ``Metrics``.
"""

from bot.metrics.registry import Metrics, MetricsPage
from bot.metrics.state import State, read_state

__all__ = ["Metrics", "MetricsPage", "State", "read_state"]
