-- 固定写法,以导入 json 解析的包
package.path = package.path..";/bin/?.lua"
local dkjson = require("dkjson")

-- 函数名以及参数固定
function GetWorkloadTypeAndName(metaJsonStr)
    -- 元数据的 JSON 示例
    -- 注意这一行的冒号后即传入的 JSON "metadata": {
    --    "annotations": {
    --        "checksum/config": "",
    --        "cni.projectcalico.org/containerID": "",
    --        "cni.projectcalico.org/podIP": "",
    --        "cni.projectcalico.org/podIPs": ""
    --    },
    --    "creationTimestamp": "",
    --    "labels": {
    --        "app": "",
    --        "component": "",
    --        "controller-revision-hash": "",
    --        "pod-template-generation": ""
    --    },
    --    "name": "",
    --    "namespace": "",
    --    "ownerReferences": [
    --        {
    --            "apiVersion": "",
    --            "blockOwnerDeletion": true,
    --            "controller": true,
    --            "kind": "",
    --            "name": "",
    --            "uid": ""
    --        }
    --    ],
    --    "uid": ""
    -- }
    -- 固定写法,将传入的包含 pod 元数据的 JSON 字符串转换为 Lua 的 table 类型
    local metaData = dkjson.decode(metaJsonStr,1,nil)
    local workloadType = ""
    local workloadName = ""
    -- 注意,为了自定义的灵活性 每个 pod 元数据的 JSON 字符串都会传给 lua 脚本,您需要过滤掉不需要自定义的 pod
    -- 符合过滤条件的,返回两个空字符串即可
    if condition then -- 这里的 condition 是你需要过滤 pod 的条件
        return "", "" -- 返回两个空字符串
    end
    -- 通过对 meteData 自定义分析, 返回 workloadType 和 workloadName
    return workloadType, workloadName

end
