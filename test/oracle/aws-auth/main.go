// Command aws-auth-oracle reads aws-auth ConfigMap sections with the libraries the EKS
// authenticator uses (gopkg.in/yaml.v2 through sigs.k8s.io/yaml, then encoding/json) and prints
// what the server keeps, as JSON, so the test suite can compare eks-auth's reading with it.
//
// It is written for the tests from the authenticator's documented behaviour (aws-iam-authenticator
// pkg/mapper/configmap/configmap.go ParseMap and saveMap, pkg/config/mapper.go Validate, Key and
// Matches, pkg/mapper/configmap/mapper.go Map); it is not the authenticator's code.
//
// Input, one JSON object per line on stdin:
//
//	{"data": {"mapRoles": "...", "mapUsers": "...", "mapAccounts": "..."}, "arns": ["arn:..."], "accounts": ["123456789012"]}
//
// Output, one JSON object per line on stdout (see the Result type).
//
// With -unicode it prints instead, for every code point Go's unicode tables assign, the ones whose
// strings.ToLower differs from the code point itself and the ones with a simple case folding orbit.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	yamlv2 "gopkg.in/yaml.v2"
	"sigs.k8s.io/yaml"
)

// roleMapping and userMapping have the JSON shape of the authenticator's config.RoleMapping and
// config.UserMapping: encoding/json matches these names case-insensitively.
type ssoMatcher struct {
	PermissionSetName string `json:"permissionSetName"`
	AccountID         string `json:"accountID"`
	Partition         string `json:"partition,omitempty"`
}

type roleMapping struct {
	RoleARN  string      `json:"rolearn,omitempty"`
	SSO      *ssoMatcher `json:"sso,omitempty"`
	Username string      `json:"username"`
	Groups   []string    `json:"groups"`
	UserID   string      `json:"userid,omitempty"`
}

type userMapping struct {
	UserARN  string   `json:"userarn"`
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
	UserID   string   `json:"userid,omitempty"`
}

type input struct {
	Data     map[string]string `json:"data"`
	ARNs     []string          `json:"arns"`
	Accounts []string          `json:"accounts"`
}

// Entry is one kept mapping, in list order.
type Entry struct {
	ARN      string   `json:"arn"`
	SSO      bool     `json:"sso"`
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
}

// Section says what happened to one section.
type Section struct {
	// The YAML (or JSON-prefix) stage failed: nothing of the section is kept.
	YAMLError string `json:"yamlError,omitempty"`
	// encoding/json reported a type error: the values it could decode are kept.
	DecodeError string `json:"decodeError,omitempty"`
	// Entries Validate refused.
	Invalid int `json:"invalid"`
}

// Match is what the server may answer for one ARN: every kept entry Matches accepts. The
// authenticator looks them up in a Go map, so with more than one the answer is any of them.
type Match struct {
	ARN   string  `json:"arn"`
	Roles []Entry `json:"roles"`
	Users []Entry `json:"users"`
}

// Result is one output line.
type Result struct {
	Roles    []Entry            `json:"roles"`
	Users    []Entry            `json:"users"`
	Accounts []string           `json:"accounts"`
	Sections map[string]Section `json:"sections"`
	Matches  []Match            `json:"matches"`
	// Accounts (of the input's) the mapAccounts set holds.
	AccountsAllowed []bool `json:"accountsAllowed"`
}

func skippable(data string) bool {
	t := strings.TrimSpace(data)
	return t == "" || t == "``" || t == `""` || t == "''"
}

// toJSON is k8s.io/apimachinery/pkg/util/yaml.ToJSON: text starting with `{` (after white space)
// is taken as JSON already; anything else goes through sigs.k8s.io/yaml.
func toJSON(data string) ([]byte, error) {
	if strings.HasPrefix(strings.TrimLeftFunc(data, unicode.IsSpace), "{") {
		return []byte(data), nil
	}
	return yaml.YAMLToJSON([]byte(data))
}

var (
	accountID         = regexp.MustCompile(`^[0-9]{12}$`)
	permissionSetName = regexp.MustCompile(`^[\w+=,.@-]{1,32}$`)
	partitions        = []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
)

func validRole(r roleMapping) bool {
	if (r.RoleARN == "") == (r.SSO == nil) {
		return false
	}
	if r.SSO != nil {
		if !accountID.MatchString(r.SSO.AccountID) || !permissionSetName.MatchString(r.SSO.PermissionSetName) {
			return false
		}
		if r.SSO.Partition != "" {
			found := false
			for _, p := range partitions {
				found = found || p == r.SSO.Partition
			}
			return found
		}
	}
	return true
}

func groupsOf(g []string) []string {
	if g == nil {
		return []string{}
	}
	return g
}

func read(in input) Result {
	res := Result{Roles: []Entry{}, Users: []Entry{}, Accounts: []string{}, Sections: map[string]Section{}, Matches: []Match{}, AccountsAllowed: []bool{}}
	var roles []roleMapping
	var users []userMapping

	if data, ok := in.Data["mapRoles"]; ok && !skippable(data) {
		s := Section{}
		if j, err := toJSON(data); err != nil {
			s.YAMLError = err.Error()
		} else {
			var raw []roleMapping
			if err := json.Unmarshal(j, &raw); err != nil {
				s.DecodeError = err.Error()
			}
			for _, r := range raw {
				if validRole(r) {
					roles = append(roles, r)
				} else {
					s.Invalid++
				}
			}
		}
		res.Sections["mapRoles"] = s
	}
	if data, ok := in.Data["mapUsers"]; ok && !skippable(data) {
		s := Section{}
		if j, err := toJSON(data); err != nil {
			s.YAMLError = err.Error()
		} else {
			var raw []userMapping
			if err := json.Unmarshal(j, &raw); err != nil {
				s.DecodeError = err.Error()
			}
			for _, u := range raw {
				if u.UserARN != "" {
					users = append(users, u)
				} else {
					s.Invalid++
				}
			}
		}
		res.Sections["mapUsers"] = s
	}
	var accounts []string
	if data, ok := in.Data["mapAccounts"]; ok && !skippable(data) {
		s := Section{}
		// mapAccounts goes to yaml.v2 directly, into a []string; what it decoded before an
		// error is kept.
		if err := yamlv2.Unmarshal([]byte(data), &accounts); err != nil {
			if _, typeErr := err.(*yamlv2.TypeError); typeErr {
				s.DecodeError = err.Error()
			} else {
				s.YAMLError = err.Error()
			}
		}
		res.Sections["mapAccounts"] = s
	}

	for _, r := range roles {
		res.Roles = append(res.Roles, Entry{ARN: r.RoleARN, SSO: r.SSO != nil, Username: r.Username, Groups: groupsOf(r.Groups)})
	}
	for _, u := range users {
		res.Users = append(res.Users, Entry{ARN: u.UserARN, Username: u.Username, Groups: groupsOf(u.Groups)})
	}
	res.Accounts = append(res.Accounts, accounts...)

	// The server's store: roles keyed by their lower-cased ARN, users by their ARN as written,
	// accounts as a set; a later entry with the same key replaces an earlier one.
	roleStore := map[string]roleMapping{}
	for _, r := range roles {
		key := strings.ToLower(r.RoleARN)
		if r.SSO != nil {
			key = "sso:" + strings.ToLower(r.SSO.AccountID+"/"+r.SSO.PermissionSetName+"/"+r.SSO.Partition)
		}
		roleStore[key] = r
	}
	userStore := map[string]userMapping{}
	for _, u := range users {
		userStore[u.UserARN] = u
	}
	accountSet := map[string]bool{}
	for _, a := range accounts {
		accountSet[a] = true
	}

	for _, arn := range in.ARNs {
		subject := strings.ToLower(arn)
		m := Match{ARN: arn, Roles: []Entry{}, Users: []Entry{}}
		for _, r := range roleStore {
			// SSO entries match through a feature gate the ConfigMap does not show; the
			// comparison leaves them out.
			if r.RoleARN != "" && strings.EqualFold(r.RoleARN, subject) {
				m.Roles = append(m.Roles, Entry{ARN: r.RoleARN, Username: r.Username, Groups: groupsOf(r.Groups)})
			}
		}
		for _, u := range userStore {
			if strings.EqualFold(u.UserARN, subject) {
				m.Users = append(m.Users, Entry{ARN: u.UserARN, Username: u.Username, Groups: groupsOf(u.Groups)})
			}
		}
		sortEntries(m.Roles)
		sortEntries(m.Users)
		res.Matches = append(res.Matches, m)
	}
	for _, a := range in.Accounts {
		res.AccountsAllowed = append(res.AccountsAllowed, accountSet[a])
	}
	return res
}

func sortEntries(e []Entry) {
	sort.Slice(e, func(i, j int) bool {
		a, _ := json.Marshal(e[i])
		b, _ := json.Marshal(e[j])
		return bytes.Compare(a, b) < 0
	})
}

// unicodeTables prints {"lower": {cp: cp}, "orbits": [[cp...]]} over the code points Go assigns.
func unicodeTables() {
	lower := map[string]int{}
	var orbits [][]int
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) || !unicode.In(r, assigned...) {
			continue
		}
		l := []rune(strings.ToLower(string(r)))
		if len(l) != 1 || l[0] != r {
			if len(l) != 1 {
				panic(fmt.Sprintf("ToLower(%U) is %d runes", r, len(l)))
			}
			lower[fmt.Sprint(r)] = int(l[0])
		}
		// Report each orbit once, from its smallest member.
		if f := unicode.SimpleFold(r); f != r {
			orbit := []int{int(r)}
			smallest := true
			for g := f; g != r; g = unicode.SimpleFold(g) {
				orbit = append(orbit, int(g))
				smallest = smallest && g > r
			}
			if smallest {
				sort.Ints(orbit)
				orbits = append(orbits, orbit)
			}
		}
	}
	out, _ := json.Marshal(map[string]interface{}{"version": unicode.Version, "lower": lower, "orbits": orbits})
	fmt.Println(string(out))
}

var assigned = func() []*unicode.RangeTable {
	var t []*unicode.RangeTable
	for _, table := range unicode.Categories {
		t = append(t, table)
	}
	return t
}()

func main() {
	tables := flag.Bool("unicode", false, "print Go's lower-case and case-folding tables")
	flag.Parse()
	if *tables {
		unicodeTables()
		return
	}
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for scanner.Scan() {
		var in input
		if err := json.Unmarshal(scanner.Bytes(), &in); err != nil {
			fmt.Fprintln(os.Stderr, "bad input line:", err)
			os.Exit(2)
		}
		b, err := json.Marshal(read(in))
		if err != nil {
			fmt.Fprintln(os.Stderr, "cannot encode result:", err)
			os.Exit(2)
		}
		out.Write(b)
		out.WriteByte('\n')
		out.Flush()
	}
	if err := scanner.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "reading stdin:", err)
		os.Exit(2)
	}
}
