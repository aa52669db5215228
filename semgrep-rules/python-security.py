# Test cases for python-security.yml: `semgrep --test semgrep-rules/` checks each annotation.
# ruff: noqa
import os
import pickle
import subprocess
import tempfile

import boto3
import requests
import yaml

# ruleid: subprocess-shell-true
subprocess.run("ls " + os.environ["DIR"], shell=True)
# ok: subprocess-shell-true
subprocess.run(["ls", os.environ["DIR"]])

# ruleid: yaml-unsafe-load
yaml.load(open("x.yml"))
# ok: yaml-unsafe-load
yaml.safe_load(open("x.yml"))

# ruleid: pickle-or-marshal-load
pickle.loads(b"")

# ruleid: tls-verification-disabled
requests.get("https://example.com", verify=False)
# ruleid: tls-verification-disabled
boto3.client("s3", verify=False)
# ok: tls-verification-disabled
requests.get("https://example.com", timeout=5)

# ruleid: eval-or-exec
eval(input())

# ruleid: boto3-hardcoded-credentials
boto3.client("s3", aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="not-a-real-secret")

# ruleid: tempfile-mktemp
tempfile.mktemp()
