"""An async client for Ingram Micro's OrderLookupAPI v5 and OrderDeleteAPI v5."""
