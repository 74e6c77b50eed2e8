"""The web console: flows, executions and the path each execution took, as pages served by
`fnf api` under /console, behind the API's authentication policy (`api.auth_policy`)."""
