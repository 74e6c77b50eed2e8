"""The FnF API facade: FastAPI app, actions, wire protocol, flow store."""
