-- wrk script: replays the requests written by `wechat simulate --requests N --emit FILE`
-- (one per line: PATH?QUERY<TAB>BODY). Each wrk thread takes every k-th line, so no two
-- threads send the same message.
--   wrk -t2 -c64 -d20s --latency -s scripts/bench/replay.lua http://127.0.0.1:8080 -- requests.txt
local threads = 0

function setup(thread)
    thread:set("tid", threads)
    threads = threads + 1
end

function init(args)
    local file = args[1] or "requests.txt"
    local count = tonumber(args[2]) or 2
    requests = {}
    local i = 0
    for line in io.lines(file) do
        if i % count == tid then
            local path, body = line:match("^([^\t]*)\t(.*)$")
            requests[#requests + 1] = wrk.format("POST", path, { ["Content-Type"] = "text/xml" }, body)
        end
        i = i + 1
    end
    index = 0
end

function request()
    index = index % #requests + 1
    return requests[index]
end

function response(status, headers, body)
    if status ~= 200 then
        bad = (bad or 0) + 1
    end
end
