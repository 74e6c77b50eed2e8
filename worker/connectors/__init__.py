"""Clients for the cloud services that task steps call directly (MNS queues and topics)."""
