"""Pages and the JSON endpoints behind them."""
