// Cryptocurrency miners: the usual payload of cluster compromises (cryptojacking).

rule Cryptominer_Stratum_Url
{
    meta:
        title = "Cryptominer: stratum mining pool URL"
        description = "A stratum URL: the protocol miners use to fetch work from a mining pool. Legitimate images have no reason to contain one."
        severity = "high"
        reference = "https://attack.mitre.org/techniques/T1496/"
    strings:
        $stratum = /stratum[12]?\+(tcp|ssl|tls|ws|wss):\/\/[a-zA-Z0-9.\-]+(:[0-9]{2,5})?/ nocase
    condition:
        $stratum
}

rule Cryptominer_XMRig_Config
{
    meta:
        title = "Cryptominer: XMRig configuration"
        description = "An XMRig (Monero miner) configuration with mining pools and a wallet."
        severity = "high"
        reference = "https://xmrig.com/docs/miner/config"
    strings:
        $pools = "\"pools\"" ascii
        $user = "\"user\"" ascii
        $keys1 = "\"donate-level\"" ascii
        $keys2 = "\"randomx\"" ascii
        $keys3 = "\"cpu\"" ascii
        $keys4 = "\"nicehash\"" ascii
        $keys5 = "\"coin\"" ascii
    condition:
        filesize < 1MB and $pools and $user and 3 of ($keys*)
}

rule Cryptominer_XMRig_Binary
{
    meta:
        title = "Cryptominer: XMRig miner program"
        description = "The XMRig miner (Monero, RandomX/CryptoNight) as an executable."
        severity = "high"
        reference = "https://github.com/xmrig/xmrig"
    strings:
        $name = "xmrig" ascii nocase
        $donate = "donate.v2.xmrig.com" ascii
        $algo1 = "randomx" ascii nocase
        $algo2 = "cryptonight" ascii nocase
        $opt1 = "--donate-level" ascii
        $opt2 = "nicehash" ascii
    condition:
        (uint32(0) == 0x464c457f or uint16(0) == 0x5a4d) and $name and ($donate or (1 of ($algo*) and 1 of ($opt*)))
}
