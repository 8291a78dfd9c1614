// probe is the smoke test's workload for hack/cluster.sh: one static binary in a scratch
// image that serves HTTP and, through `kubectl exec`, checks what a pod can reach. A scratch
// image has no shell, curl or nslookup, hence the subcommands.
//
//	probe serve [addr]   HTTP on addr (default :8080): "hello from <hostname>"
//	probe get URL        GET URL (https with the pod's service-account CA and token); exit 1 unless 2xx
//	probe lookup NAME    resolve NAME with the pod's resolv.conf; print the addresses
//	probe cat FILE       print FILE
//	probe send ADDR TEXT connect to ADDR (host:port), send TEXT and CRLF, print the first line back
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

const saDir = "/var/run/secrets/kubernetes.io/serviceaccount"

func main() {
	if len(os.Args) < 2 {
		fail("usage: probe serve [addr] | get URL | lookup NAME | cat FILE")
	}
	arg := ""
	if len(os.Args) > 2 {
		arg = os.Args[2]
	}
	switch os.Args[1] {
	case "serve":
		serve(arg)
	case "get":
		get(arg)
	case "lookup":
		lookup(arg)
	case "send":
		if len(os.Args) < 4 {
			fail("usage: probe send ADDR TEXT")
		}
		send(arg, os.Args[3])
	case "cat":
		b, err := os.ReadFile(arg)
		check(err)
		os.Stdout.Write(b)
	default:
		fail("unknown command " + os.Args[1])
	}
}

func serve(addr string) {
	if addr == "" {
		addr = ":8080"
	}
	host, _ := os.Hostname()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		log.Printf("%s %s from %s", r.Method, r.URL.Path, r.RemoteAddr)
		fmt.Fprintf(w, "hello from %s\n", host)
	})
	log.Printf("serving on %s", addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}

func get(url string) {
	client := &http.Client{Timeout: 10 * time.Second}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	check(err)
	if strings.HasPrefix(url, "https://") {
		// Verify the apiserver against the cluster CA the pod was given, and authenticate
		// as the pod's service account: a real client's path, no InsecureSkipVerify.
		ca, err := os.ReadFile(saDir + "/ca.crt")
		check(err)
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			fail("no certificate in " + saDir + "/ca.crt")
		}
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
		token, err := os.ReadFile(saDir + "/token")
		check(err)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	}
	resp, err := client.Do(req)
	check(err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	fmt.Printf("%d %s\n", resp.StatusCode, strings.TrimSpace(string(body)))
	if resp.StatusCode/100 != 2 {
		os.Exit(1)
	}
}

func send(addr, text string) {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	check(err)
	defer conn.Close()
	check(conn.SetDeadline(time.Now().Add(10 * time.Second)))
	_, err = conn.Write([]byte(text + "\r\n"))
	check(err)
	line, err := bufio.NewReader(conn).ReadString('\n')
	check(err)
	fmt.Println(strings.TrimSpace(line))
}

func lookup(name string) {
	addrs, err := net.LookupHost(name)
	check(err)
	fmt.Println(strings.Join(addrs, " "))
}

func check(err error) {
	if err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "probe:", msg)
	os.Exit(1)
}
