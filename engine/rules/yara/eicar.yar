// The EICAR anti-malware test file (eicar.org): 68 printable bytes at the start of a file of at
// most 128 bytes, optionally followed by whitespace. Matched by the SHA-256 of its 68 bytes so
// that the string itself never appears here (scanners on build machines would flag this file).
import "hash"

rule EICAR_Test_File
{
    meta:
        title = "EICAR anti-malware test file"
        description = "The EICAR test file, used to check that malware scanning works; its presence in an image means someone tested or tampered with detection."
        severity = "high"
        reference = "https://www.eicar.org/download-anti-malware-testfile/"
    condition:
        filesize >= 68 and filesize <= 128
        and uint16(0) == 0x3558
        and hash.sha256(0, 68) == "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
        and (filesize == 68 or for all i in (68 .. filesize - 1) : (
            uint8(i) == 0x20 or uint8(i) == 0x09 or uint8(i) == 0x0a or uint8(i) == 0x0d or uint8(i) == 0x1a
        ))
}
