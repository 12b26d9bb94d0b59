#!/usr/bin/env python3
"""Seeds docs/wechatpy-parity.tsv from the wechatpy inventory (every public method, status
`todo`, wechatpy's verb and path in the note). Run once; the table is then maintained by hand
and by `UPDATE_PARITY=1 cargo test -p wechat-core --all-features --test parity`, which marks
the methods the registry serves as `ported`.

    scripts/parity-seed.py ../shared/reference/wechatpy-inventory.md > docs/wechatpy-parity.tsv
"""
import re
import sys

text = open(sys.argv[1], encoding="utf-8").read()
rows = []


def appendix(title):
    start = text.index(title)
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else len(text)]


def methods(line):
    """`name` VERB path · ... → [(name, note)]"""
    if "Aliases:" in line:
        body = line.split("`.: ", 1)[1]
    else:
        body = line.split("): ", 1)[1]
    out = []
    for part in body.split(" · "):
        m = re.match(r"\s*`([A-Za-z0-9_]+)`\s*(.*)", part)
        if m:
            out.append((m.group(1), m.group(2).strip().rstrip(".")))
    return out


def bullets(section, prefix):
    for line in section.splitlines():
        m = re.match(r"- \*\*(wechatpy/[^*]+)\*\* `(\w+)` \((\d+)\)", line)
        if not m or not m.group(1).startswith(prefix):
            continue
        yield m.group(1), int(m.group(3)), methods(line)


# mp: the 27 groups (the merchant sub-objects duplicate WeChatMerchant and are left out)
for path, count, ms in bullets(appendix("## Appendix A"), "wechatpy/client/api/"):
    if "/merchant/" in path and not path.endswith("__init__.py"):
        continue
    group = "merchant" if "/merchant/" in path else path.rsplit("/", 1)[1][:-3]
    assert len(ms) == count, (path, len(ms), count)
    rows += [("mp", f"{group}.{name}", note) for name, note in ms]

for path, count, ms in bullets(appendix("## Appendix B"), "wechatpy/work/client/api/"):
    group = path.rsplit("/", 1)[1][:-3]
    assert len(ms) == count, (path, len(ms), count)
    rows += [("work", f"{group}.{name}", note) for name, note in ms]

for path, count, ms in bullets(appendix("## Appendix B"), "wechatpy/work/services/api/"):
    assert len(ms) == count, (path, len(ms), count)
    rows += [("service", name, note) for name, note in ms]

oauth = [
    ("authorize_url", "local helper (no HTTP), property"),
    ("qrconnect_url", "local helper (no HTTP), property"),
    ("fetch_access_token", "GET sns/oauth2/access_token"),
    ("refresh_access_token", "GET sns/oauth2/refresh_token"),
    ("get_user_info", "GET sns/userinfo"),
    ("check_access_token", "GET sns/auth"),
]
rows += [("oauth", n, note) for n, note in oauth]

component = [
    ("create_preauthcode", "POST cgi-bin/component/api_create_preauthcode"),
    ("get_pre_auth_url", "local helper (no HTTP)"),
    ("get_pre_auth_url_m", "local helper (no HTTP)"),
    ("query_auth", "POST cgi-bin/component/api_query_auth"),
    ("refresh_authorizer_token", "POST cgi-bin/component/api_authorizer_token"),
    ("get_authorizer_info", "POST cgi-bin/component/api_get_authorizer_info"),
    ("get_authorizer_list", "POST cgi-bin/component/api_get_authorizer_list"),
    ("get_authorizer_option", "POST cgi-bin/component/api_get_authorizer_option"),
    ("set_authorizer_option", "POST cgi-bin/component/api_set_authorizer_option"),
    ("get_client_by_appid", "local: an mp client acting for the authorizer"),
    ("parse_message", "local: the authorization-event callback"),
    ("get_component_oauth", "local: a ComponentOAuth"),
]
rows += [("component", n, note) for n, note in component]
component_oauth = [
    ("get_authorize_url", "local helper (no HTTP)"),
    ("fetch_access_token", "GET sns/oauth2/component/access_token"),
    ("refresh_access_token", "GET sns/oauth2/component/refresh_token"),
    ("get_user_info", "GET sns/userinfo"),
]
rows += [("component_oauth", n, note) for n, note in component_oauth]

pay = appendix("## Appendix C")
v2, v3 = pay.split("v3 (", 1)
for path, count, ms in bullets(v2, "wechatpy/pay/api/"):
    group = path.rsplit("/", 1)[1][:-3]
    assert len(ms) == count, (path, len(ms), count)
    rows += [("pay", f"{group}.{name}", note) for name, note in ms]
for path, count, ms in bullets(v3, "wechatpy/pay/v3/api/"):
    group = path.rsplit("/", 1)[1][:-3]
    assert len(ms) == count, (path, len(ms), count)
    rows += [("pay_v3", f"{group}.{name}", note) for name, note in ms]

seen = set()
print("family\twechatpy\tstatus\trust\tnote")
for family, name, note in rows:
    assert (family, name) not in seen, (family, name)
    seen.add((family, name))
    print(f"{family}\t{name}\ttodo\t\twechatpy: {note}")
