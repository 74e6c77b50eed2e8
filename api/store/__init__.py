"""Flow definitions kept in Temporal itself (DESIGN 1): one long-lived workflow per flow."""
