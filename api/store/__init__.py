"""State kept in Temporal itself (DESIGN 1): one long-lived workflow per flow (`entity`,
`flows`) and one short-lived workflow id per used signature nonce (`nonces`)."""
