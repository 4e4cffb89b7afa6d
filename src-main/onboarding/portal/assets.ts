// The reset page's style sheet and script, served from the portal itself
// (the CSP allows no inline script or style). The script repeats the
// server's policy checks (../policy.ts) so the user sees them while typing;
// test/unit/onboarding-policy.test.ts runs both on the same samples.
export const PORTAL_CSS = `
*{box-sizing:border-box}
html{font-family:"Segoe UI",system-ui,-apple-system,Arial,sans-serif;font-size:15px;color:#242424;background:#f5f5f5}
body{margin:0;min-height:100vh;display:flex;align-items:flex-start;justify-content:center;padding:48px 16px}
main{background:#fff;max-width:440px;width:100%;border-radius:8px;box-shadow:0 2px 8px rgba(0,0,0,.14);padding:32px}
h1{font-size:22px;font-weight:600;margin:0 0 8px}
p{line-height:1.45;margin:0 0 12px}
.who{background:#f0f6ff;border:1px solid #c7dcf5;border-radius:6px;padding:10px 12px;margin:16px 0}
.who .name{font-weight:600;display:block}
.who .user{color:#424242;font-family:Consolas,"Courier New",monospace}
label{display:block;font-weight:600;margin:16px 0 4px}
input[type=password]{width:100%;font:inherit;padding:8px 10px;border:1px solid #8a8886;border-radius:4px}
input[type=password]:focus{outline:2px solid #0f6cbd;outline-offset:1px;border-color:#0f6cbd}
ul.rules{list-style:none;padding:0;margin:12px 0 0;font-size:14px}
ul.rules li{padding:2px 0 2px 24px;position:relative;color:#616161}
ul.rules li::before{content:"\\2022";position:absolute;left:8px}
ul.rules li.ok{color:#0e700e}
ul.rules li.ok::before{content:"\\2713";left:4px}
ul.rules li.bad{color:#b10e1c}
ul.rules li.bad::before{content:"\\2717";left:4px}
button{margin-top:20px;width:100%;font:inherit;font-weight:600;padding:10px;border:0;border-radius:4px;background:#0f6cbd;color:#fff;cursor:pointer}
button:hover{background:#115ea3}
button:disabled{background:#c8c6c4;cursor:default}
.errors{border:1px solid #e0a3a8;background:#fdf3f4;color:#8a0a16;border-radius:6px;padding:10px 12px;margin:16px 0}
.errors ul{margin:4px 0 0;padding-left:20px}
.errors p{margin:0}
.done{border:1px solid #9fd89f;background:#f1faf1;color:#0e4d0e;border-radius:6px;padding:10px 12px;margin:16px 0}
.pending{border:1px solid #f4bf75;background:#fff9f0;color:#5c3b00;border-radius:6px;padding:10px 12px;margin:16px 0}
.hidden{display:none}
footer{margin-top:24px;color:#707070;font-size:12px}
`;

/** The policy checks alone, also evaluated by the unit test against ../policy.ts. */
export const POLICY_JS = `
  function forbiddenParts(s) {
    var parts = [];
    var user = s.userName.trim().toLowerCase();
    if (user.length >= 3) parts.push(user);
    var local = user.split('@')[0] || '';
    if (local.length >= 3) parts.push(local);
    (s.displayName || '').toLowerCase().split(/[\\s,.\\-_#\\t]+/).forEach(function (t) { if (t.length >= 3) parts.push(t); });
    return parts;
  }
  function characterClasses(p) {
    return [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter(function (re) { return re.test(p); }).length;
  }
  function checkPassword(p, pol, s) {
    var problems = [];
    if (p.length < pol.minLength) problems.push('Use at least ' + pol.minLength + ' characters.');
    if (p.length > 256) problems.push('Use at most 256 characters.');
    if (characterClasses(p) < pol.minClasses) problems.push('Use at least ' + pol.minClasses + ' of these: lower-case letters, upper-case letters, digits, other characters.');
    if (pol.forbidUserName) {
      var lower = p.toLowerCase();
      if (forbiddenParts(s).some(function (x) { return lower.indexOf(x) >= 0; })) problems.push('Do not use your user name or your name in the password.');
    }
    return problems;
  }
`;

export const RESET_JS = `'use strict';
(function () {
  var form = document.getElementById('reset-form');
  if (!form) return;
  var pw = document.getElementById('password');
  var confirmPw = document.getElementById('confirm');
  var errors = document.getElementById('client-errors');
  var policy = {
    minLength: Number(form.getAttribute('data-min-length')),
    minClasses: Number(form.getAttribute('data-min-classes')),
    forbidUserName: form.getAttribute('data-forbid-user-name') === 'true'
  };
  var subject = { userName: form.getAttribute('data-user-name') || '', displayName: form.getAttribute('data-display-name') || '' };

  ${POLICY_JS}

  function mark(rule, ok) {
    var li = document.querySelector('li[data-rule="' + rule + '"]');
    if (!li) return;
    li.className = pw.value === '' ? '' : ok ? 'ok' : 'bad';
  }
  function update() {
    var p = pw.value;
    errors.classList.add('hidden');
    mark('length', p.length >= policy.minLength && p.length <= 256);
    mark('classes', characterClasses(p) >= policy.minClasses);
    if (policy.forbidUserName) {
      var lower = p.toLowerCase();
      mark('name', !forbiddenParts(subject).some(function (x) { return lower.indexOf(x) >= 0; }));
    }
    mark('match', p !== '' && p === confirmPw.value);
  }
  pw.addEventListener('input', update);
  confirmPw.addEventListener('input', update);
  form.addEventListener('submit', function (e) {
    var problems = checkPassword(pw.value, policy, subject);
    if (pw.value !== confirmPw.value) problems.push('The two passwords are not the same.');
    if (problems.length === 0) {
      var b = form.querySelector('button');
      if (b) { b.disabled = true; b.textContent = 'Setting your password\\u2026'; }
      return;
    }
    e.preventDefault();
    errors.textContent = '';
    var p = document.createElement('p');
    p.textContent = 'Your password does not meet the rules yet:';
    var ul = document.createElement('ul');
    problems.forEach(function (m) { var li = document.createElement('li'); li.textContent = m; ul.appendChild(li); });
    errors.appendChild(p);
    errors.appendChild(ul);
    errors.classList.remove('hidden');
    pw.focus();
  });
  update();
})();
`;
