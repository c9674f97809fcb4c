"""Code that runs in AWS Lambda, one folder per function (each folder is that function's whole asset).

A function imports nothing from podnet: Lambda has only its own folder (checked by lint-imports).
"""
