"""waitForCallback task tokens: minting and parsing them, and reporting a task's result."""
