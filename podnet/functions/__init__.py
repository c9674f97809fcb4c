"""Code that runs in AWS Lambda, one folder per function, packaged as it is (``aws_lambda.Code.from_asset``).

A function's folder must stand alone: Lambda gets only its files and the runtime's boto3, so nothing here imports
podnet (checked by ``lint-imports``).
"""
