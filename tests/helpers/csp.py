"""Watching a browser page for Content-Security-Policy violations (issue 7 point 7: every page passes the CSP).

Two witnesses: the browser's ``securitypolicyviolation`` event, collected by a script added before every page
load, and Chromium's console messages about the policy.
"""

from __future__ import annotations

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
    window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def violations(page) -> list[str]:
    """What the event listener collected on the current page."""
    return page.evaluate("window.__cspViolations")


def watch(page) -> list[str]:
    """Collect violations from every page load, and the console's CSP messages as a second witness."""
    page.add_init_script(COLLECT_VIOLATIONS)
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None)
    return console
