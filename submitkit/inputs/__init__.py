"""Reading what the user gives: the submission source (folder or zip), its layout, manifests, match.json, method.txt, configuration."""
