"""Reading what the user gives: the source (folder or zip), layout, manifest, match.json, method.txt."""
