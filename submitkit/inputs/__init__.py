"""Reading what the user gives: source, layout, manifest, match.json, method.txt, config."""
