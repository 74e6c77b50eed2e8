"""Flow diagrams: a flow laid out as a graph (layout), an execution's path over it (path), and
their drawing as SVG or a standalone HTML page (svg, html). Pure: no Temporal, no I/O."""
