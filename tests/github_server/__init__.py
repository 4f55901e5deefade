"""A local stand-in for api.github.com that checks every request against GitHub's own
OpenAPI description (npm @octokit/openapi) and serves real webhook payloads
(npm @octokit/webhooks-examples). Both are installed by .ci/tools/github.sh."""

from tests.github_server.material import TOOLS_DIR, load_openapi, webhook_example
from tests.github_server.server import ACTIONS_BOT, Fault, GitHubServer, RecordedRequest

__all__ = [
    "ACTIONS_BOT",
    "TOOLS_DIR",
    "Fault",
    "GitHubServer",
    "RecordedRequest",
    "load_openapi",
    "webhook_example",
]
