// Web shells: server-side scripts that run the commands or code an HTTP request carries.

rule Webshell_PHP_Request_Eval
{
    meta:
        title = "Web shell: PHP running code or commands from the request"
        description = "PHP that passes request parameters ($_GET, $_POST, $_REQUEST, $_COOKIE, $_SERVER headers) to eval, assert, system and similar."
        severity = "critical"
        reference = "https://attack.mitre.org/techniques/T1505/003/"
    strings:
        $php = "<?" ascii
        $direct = /\b(eval|assert|system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|create_function)\s*\(\s*(@\s*)?(base64_decode|gzinflate|gzuncompress|str_rot13|stripslashes|urldecode|hex2bin)?\s*\(?\s*\$_(GET|POST|REQUEST|COOKIE|SERVER)\s*\[/ nocase
        $preg_e = /preg_replace\s*\(\s*["'](.).*\1[a-z]*e[a-z]*["']\s*,\s*\$_(GET|POST|REQUEST|COOKIE)/ nocase
        $backtick = /`\s*\$_(GET|POST|REQUEST|COOKIE)\s*\[[^\]]+\]\s*`/
    condition:
        $php and ($direct or $preg_e or $backtick)
}

rule Webshell_JSP_Runtime_Exec
{
    meta:
        title = "Web shell: JSP running a command from the request"
        description = "A JSP page that hands a request parameter to Runtime.exec or ProcessBuilder."
        severity = "critical"
        reference = "https://attack.mitre.org/techniques/T1505/003/"
    strings:
        $jsp = "<%" ascii
        $exec = /Runtime\.getRuntime\(\)\.exec\(\s*request\.getParameter\(/
        $pb = /new\s+ProcessBuilder\([^)]*request\.getParameter\(/
    condition:
        $jsp and ($exec or $pb)
}

rule Webshell_ASP_Request_Eval
{
    meta:
        title = "Web shell: ASP/ASP.NET evaluating the request"
        description = "ASP or ASP.NET code that evaluates or executes what a request carries."
        severity = "critical"
        reference = "https://attack.mitre.org/techniques/T1505/003/"
    strings:
        $asp = "<%" ascii
        $eval = /\b(eval|execute|executeglobal)\s*\(?\s*request(\.form|\.querystring)?\s*\(/ nocase
        $net = /eval\s*\(\s*Request\.Item\s*\[/ nocase
    condition:
        $asp and ($eval or $net)
}

rule Webshell_Known_Family
{
    meta:
        title = "Web shell: a well-known web shell family"
        description = "Markers of widespread PHP web shells (c99, r57, WSO/FilesMan, b374k, China Chopper)."
        severity = "critical"
        reference = "https://attack.mitre.org/techniques/T1505/003/"
    strings:
        $php = "<?" ascii
        $c99 = "c99shell" ascii nocase
        $r57 = "r57shell" ascii nocase
        $wso1 = "FilesMan" ascii
        $wso2 = "WSOsetcookie" ascii
        $b374k = "b374k" ascii
        $chopper = /@?eval\s*\(\s*\$_POST\s*\[\s*['"]?[a-z0-9]{1,12}['"]?\s*\]\s*\)\s*;?\s*\?>/ nocase
    condition:
        $php and filesize < 2MB and any of ($c99, $r57, $wso1, $wso2, $b374k, $chopper)
}
