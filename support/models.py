# Models arrive with the support issue.
