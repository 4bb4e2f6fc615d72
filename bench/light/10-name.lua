-- make bench's plugin for what must not depend on plugin cost (supervisor
-- memory over a million records, restart latency): no JSON decoding, one
-- pattern match; every record resolves, so every answer is recognisable.
function GetWorkloadTypeAndName(metaJsonStr)
    local name = string.match(metaJsonStr, '"name":"([^"]*)"')
    return "Deployment", name or "unknown"
end
