# Configuration of the CodeQuest grading service (`codequest service --config=THIS`).
#
# Lives in CODEQUEST_SERVICE_DIR (default /srv/codequest), owned by the service's user
# and readable by it alone (chmod 700), with the challenge library and the database URL.
import os
from pathlib import Path

home = Path(os.environ.get("CODEQUEST_SERVICE_DIR", "/srv/codequest"))

# The challenge library: hidden tests and solutions never leave this folder, except
# into the service's own sandboxed grading kernels.
c.CodeQuestApp.challenge_dirs = [str(home / "challenges")]

# The store: PostgreSQL, its URL (with the password) in a file only this user reads.
c.CodeQuestApp.db_url = (home / "db_url").read_text().strip()

# Grading: kernels pre-started, gradings at once, per-user rate limit.
c.CodeQuestApp.grader_pool_size = 2
c.CodeQuestApp.grading_concurrency = 2
c.CodeQuestApp.submissions_per_minute = 30
# bubblewrap (the service's default): learner code runs as the service's user, so it
# must not see this folder, the network (the database) or the service's processes.
c.CodeQuestApp.sandbox = "bwrap"

# Who is an instructor: the hub group (the default), and none by name here.
c.CodeQuestService.instructor_group = "codequest-instructors"
