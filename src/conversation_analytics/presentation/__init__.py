"""What the command line shows: the text report and the HTML dashboard.

Both only read: every figure is a column of a mart, shown as the mart holds
it (no arithmetic on metrics, no rounding beyond formatting an already
rounded value). `marts` opens the warehouse read-only and picks the
trailing window; `report` prints; `dashboard` draws.
"""
