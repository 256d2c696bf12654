"""The hold watcher: notice changes to Ingram orders and tell Slack, every alert once.

   poll    poller.py    reads every order of the lookback window from Ingram, page by page
-> diff    changes.py   compares the shipments with the store's snapshot: the events
-> rules   rules.py     which events go to which channel, in what words (rules_loading.py
                        reads them by the table of keys in rules_keys.py)
-> outbox  alerts.py    builds the messages; the poller queues them in one transaction
-> Slack   notifier.py  posts the outbox: paced, in order, threaded, retried (slack_answers.py)
"""
