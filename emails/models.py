# Models arrive with the emails issue.
