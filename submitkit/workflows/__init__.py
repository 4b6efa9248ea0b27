"""What commands do, built on the staged check: score (evaluate, match), pack, fix, preview."""
