// Expected bytes for the deepflow_argument suite: what DeepFlow's controller
// hands a plugin, metaData.MarshalJSON() of go-simplejson (a json.Decoder
// with UseNumber, then json.Marshal), for each document of a corpus.
//
//	deepflow_argument CORPUS > EXPECTED
//		CORPUS: one JSON document per line; lines starting with '#'
//		(names of the next case) and empty lines are skipped.
//		EXPECTED: one line per document: Go's bytes, or "error" when
//		Go refuses the document.
//	deepflow_argument -random N SEED > CORPUS
//		N random documents made of the pieces that exercise the rules
//		(escapes, bad UTF-8, surrogates, HTML characters, duplicate and
//		non-ASCII keys, numbers in every form), the same for a seed.
//
// DeepFlow is built with Go 1.22 or later, whose encoder writes \b and \f
// where older ones wrote \u0008 and \u000c.  Run by an older Go, this
// program rewrites those two escapes (and nothing else) to the newer form.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"os"
	"runtime"
	"strconv"
	"strings"

	simplejson "github.com/bitly/go-simplejson"
)

func main() {
	if len(os.Args) == 4 && os.Args[1] == "-random" {
		n, err1 := strconv.Atoi(os.Args[2])
		seed, err2 := strconv.ParseInt(os.Args[3], 10, 64)
		if err1 != nil || err2 != nil {
			usage()
		}
		random(n, seed)
		return
	}
	if len(os.Args) != 2 {
		usage()
	}
	expected(os.Args[1])
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: deepflow_argument CORPUS > EXPECTED\n"+
		"       deepflow_argument -random N SEED > CORPUS")
	os.Exit(2)
}

func expected(path string) {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	in := bufio.NewReader(f)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			line = line[:len(line)-1]
		}
		if len(line) > 0 && line[0] != '#' {
			out.Write(marshal(line))
			out.WriteByte('\n')
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

// What DeepFlow's controller does with a pod's metadata.
func marshal(document []byte) []byte {
	j, err := simplejson.NewJson(document)
	if err != nil {
		return []byte("error")
	}
	b, err := j.MarshalJSON()
	if err != nil {
		return []byte("error")
	}
	if oldEncoder() {
		b = newerEscapes(b)
	}
	return b
}

func oldEncoder() bool {
	v := strings.TrimPrefix(runtime.Version(), "go")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false // a development build: new enough
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	return err1 == nil && err2 == nil && major == 1 && minor < 22
}

// Rewrites \u0008 and \u000c as \b and \f.  In Go's output every
// backslash begins an escape, so reading escapes left to right finds
// exactly those two.
func newerEscapes(b []byte) []byte {
	var out bytes.Buffer
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			out.WriteByte(b[i])
			continue
		}
		if b[i+1] != 'u' {
			out.Write(b[i : i+2])
			i++
			continue
		}
		switch string(b[i+2 : i+6]) {
		case "0008":
			out.WriteString(`\b`)
		case "000c":
			out.WriteString(`\f`)
		default:
			out.Write(b[i : i+6])
		}
		i += 5
	}
	return out.Bytes()
}

// Pieces of string bodies, as source text: each rule of the decoder and
// the encoder appears in some.
var stringPieces = []string{
	"a", "b", "z", "A", "Z", "0", "9", " ", "~", "-", "'", "%", "/",
	"é", "日", "😀", "\u007f", "\ufffd", "\ufeff",
	`\u0061`, `\u00e9`, `\u00E9`, `\ud83d\ude00`, `\uD83D\uDE00`,
	`\ud800`, `\udc00`, `\udbff`, `\udfff`, `\ud800\u0041`,
	`\n`, `\t`, `\b`, `\f`, `\r`, `\"`, `\\`, `\/`,
	`\u0000`, `\u0001`, `\u001f`, `\u007f`, `\u0008`, `\u000c`,
	"<", ">", "&", `\u003c`, `\u003e`, `\u0026`,
	"\u2028", "\u2029", `\u2028`, `\u2029`,
	"\xff", "\xfe", "\xc0\x80", "\xc1\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
	"\xe2\x82", "\xe2\x80", "\x80", "\xbf", "\xf0\x9f\x98", "\xf4\x90\x80\x80",
	"\xf5\x80\x80\x80", `\ufffd`,
}

// Keys from a small pool, so that objects get duplicates, keys that only
// meet after decoding, and keys that share prefixes.
var keyPool = []string{
	"", "a", "b", "z", "A", "aa", "ab", "a0", "a ", "é", "日本", "😀",
	`\u0061`, `\u0062`, `\u00e9`, `\ud83d\ude00`, "\xff", "\xfe", `\ufffd`,
	"\ufffd", `\u0000`, `\ud800`, "<k>", `\u003ck\u003e`, "k&v", "\u2028",
	"metadata", "labels", "name",
}

var numbers = []string{
	"0", "-0", "1", "-1", "7", "10", "1.0", "1.50", "-0.0", "1e2", "1E2",
	"1e+2", "1E+2", "1e-2", "-1.5E-10", "0e0", "123456789012345678901234567890",
	"1e400", "-1e-400", "0.000001", "9007199254740993",
}

type generator struct {
	r *rand.Rand
	b bytes.Buffer
}

func (g *generator) str(pieces []string, most int) {
	g.b.WriteByte('"')
	for n := g.r.Intn(most + 1); n > 0; n-- {
		g.b.WriteString(pieces[g.r.Intn(len(pieces))])
	}
	g.b.WriteByte('"')
}

func (g *generator) value(depth int) {
	choice := g.r.Intn(10)
	if depth >= 4 && choice >= 7 {
		choice = g.r.Intn(7)
	}
	switch choice {
	case 0:
		g.b.WriteString([]string{"null", "true", "false"}[g.r.Intn(3)])
	case 1, 2:
		g.b.WriteString(numbers[g.r.Intn(len(numbers))])
	case 3, 4, 5, 6:
		g.str(stringPieces, 6)
	case 7:
		g.b.WriteByte('[')
		for i, n := 0, g.r.Intn(4); i < n; i++ {
			if i > 0 {
				g.b.WriteByte(',')
			}
			g.value(depth + 1)
		}
		g.b.WriteByte(']')
	default:
		g.object(depth)
	}
}

func (g *generator) object(depth int) {
	g.b.WriteByte('{')
	for i, n := 0, g.r.Intn(7); i < n; i++ {
		if i > 0 {
			g.b.WriteByte(',')
		}
		if g.r.Intn(4) == 0 {
			g.str(stringPieces, 3)
		} else {
			g.b.WriteByte('"')
			g.b.WriteString(keyPool[g.r.Intn(len(keyPool))])
			g.b.WriteByte('"')
		}
		g.b.WriteByte(':')
		g.value(depth + 1)
	}
	g.b.WriteByte('}')
}

func random(n int, seed int64) {
	g := generator{r: rand.New(rand.NewSource(seed))}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for i := 0; i < n; i++ {
		g.b.Reset()
		g.object(0)
		out.Write(g.b.Bytes())
		out.WriteByte('\n')
	}
}
