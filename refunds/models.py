# Models arrive with the refunds issue.
