-- wrk script for the benchmark: prints wrk's figures as one JSON line at the end
-- ("BENCH {...}"). With arguments (-- <body file> <content type> <cookie>), every
-- request POSTs that body instead of a GET. With (-- forms <file> <content type>
-- <threads>), every request POSTs a form of its own, since the site refuses a form
-- sent twice: the file holds the forms bench/intake.py loaded, one a line (cookie,
-- a tab, the body); thread n of <threads> takes lines n, n + <threads>, ... and if
-- it runs out starts again, which "forms_reused" counts. A fifth argument "xff"
-- sends each form from an address of its own (X-Forwarded-For 10.<thread>.x.y, which
-- the shipped nginx config passes on), and the responses are counted by status
-- ("accepted": the redirect to the confirmation page).

local threads = {}

setup = function(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

init = function(args)
  if args[1] == "forms" then
    local stride = tonumber(args[4])
    local forms = {}
    local line_number = 0
    for line in io.lines(args[2]) do
      if line_number % stride == id then
        local cookie, body = line:match("^([^\t]*)\t(.*)$")
        table.insert(forms, {cookie = cookie, body = body})
      end
      line_number = line_number + 1
    end
    wrk.method = "POST"
    wrk.headers["Content-Type"] = args[3]
    local addresses = args[5] == "xff"
    sent = 0
    reused = 0
    accepted = 0
    refused = 0
    -- Defined only here: without it wrk sends one fixed request, at no cost per request.
    request = function()
      local form = forms[sent % #forms + 1]
      if sent >= #forms then
        reused = reused + 1
      end
      if addresses then
        wrk.headers["X-Forwarded-For"] = string.format(
          "10.%d.%d.%d", id, math.floor(sent / 250) % 250, sent % 250 + 1
        )
      end
      sent = sent + 1
      wrk.headers["Cookie"] = form.cookie
      return wrk.format(nil, nil, nil, form.body)
    end
    if addresses then
      response = function(status, headers, body)
        if status == 302 then
          accepted = accepted + 1
        else
          refused = refused + 1
        end
      end
    end
  elseif #args >= 1 then
    local file = assert(io.open(args[1], "rb"))
    wrk.method = "POST"
    wrk.body = file:read("*a")
    file:close()
    wrk.headers["Content-Type"] = args[2]
    wrk.headers["Cookie"] = args[3]
  end
end

done = function(summary, latency, requests)
  local errors = summary.errors
  local forms_reused, accepted, refused = 0, 0, 0
  for _, thread in ipairs(threads) do
    forms_reused = forms_reused + (thread:get("reused") or 0)
    accepted = accepted + (thread:get("accepted") or 0)
    refused = refused + (thread:get("refused") or 0)
  end
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "forms_reused": %d, '
      .. '"accepted": %d, "refused": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes, forms_reused, accepted, refused,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max
  ))
end
