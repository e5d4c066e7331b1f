package replay

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// source is an export's files, from a ZIP or an unpacked folder. Names are
// slash-separated and relative to the export's top level.
type source interface {
	// list returns every regular file with its uncompressed size.
	list() ([]fileInfo, error)
	// open opens one file by name; it is safe for concurrent use.
	open(name string) (io.ReadCloser, error)
	close() error
}

type fileInfo struct {
	name string
	size int64
}

// openSource opens the export at p: a ZIP file or a folder.
func openSource(p string) (source, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("open export: %w", err)
	}
	if st.IsDir() {
		return dirSource{root: p}, nil
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, fmt.Errorf("open export %s: not a ZIP file or a folder: %w", p, err)
	}
	zs := &zipSource{r: zr, files: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		zs.files[f.Name] = f
	}
	return zs, nil
}

type dirSource struct{ root string }

func (s dirSource) list() ([]fileInfo, error) {
	var out []fileInfo
	err := filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		out = append(out, fileInfo{name: filepath.ToSlash(rel), size: info.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list export folder: %w", err)
	}
	return out, nil
}

func (s dirSource) open(name string) (io.ReadCloser, error) {
	return os.Open(filepath.Join(s.root, filepath.FromSlash(name)))
}

func (dirSource) close() error { return nil }

type zipSource struct {
	r     *zip.ReadCloser
	files map[string]*zip.File
}

func (s *zipSource) list() ([]fileInfo, error) {
	out := make([]fileInfo, 0, len(s.r.File))
	for _, f := range s.r.File {
		if f.FileInfo().IsDir() || strings.HasSuffix(f.Name, "/") {
			continue
		}
		out = append(out, fileInfo{name: f.Name, size: int64(f.UncompressedSize64)})
	}
	return out, nil
}

func (s *zipSource) open(name string) (io.ReadCloser, error) {
	f, ok := s.files[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	return f.Open()
}

func (s *zipSource) close() error { return s.r.Close() }

// user is a users.json member, with only what deciding agents needs.
type user struct {
	ID                string `json:"id"`
	TeamID            string `json:"team_id"`
	Deleted           bool   `json:"deleted"`
	IsBot             bool   `json:"is_bot"`
	IsAppUser         bool   `json:"is_app_user"`
	IsRestricted      bool   `json:"is_restricted"`
	IsUltraRestricted bool   `json:"is_ultra_restricted"`
	IsStranger        bool   `json:"is_stranger"`
}

// conversation is an entry of channels.json, groups.json, dms.json or
// mpims.json.
type conversation struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// slackbotID is Slackbot's user ID in every workspace.
const slackbotID = "USLACKBOT"

// readJSON decodes the listing file name from src into v. It returns
// fs.ErrNotExist (wrapped) when the file is absent.
func readJSON(src source, name string, v any) error {
	rc, err := src.open(name)
	if err != nil {
		return err
	}
	defer rc.Close()
	dec := json.NewDecoder(rc)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%s: data after the JSON value", name)
	}
	return nil
}

// channelKind says what a top-level folder of the export holds.
type channelKind int

const (
	publicChannel channelKind = iota
	privateChannel
	directMessage
)

// layout is an export's listings and its channel folders' day files.
type layout struct {
	prefix   string // "" or "dir/" when the ZIP wraps the export in a folder
	users    []user
	channels map[string]channelMeta // by folder name
	// folders are the channel folders in name order, each with its day
	// files in name (so time) order.
	folders []folder
	skipped []skippedFile
	warns   []string
}

type channelMeta struct {
	ID   string
	Name string
	Kind channelKind
}

type folder struct {
	meta channelMeta
	days []fileInfo
}

type skippedFile struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// readLayout reads the listings of an export and sorts its files into
// channel folders and day files. users.json is required unless
// haveAgents (the caller names the agents itself).
func readLayout(src source, haveAgents bool) (*layout, error) {
	files, err := src.list()
	if err != nil {
		return nil, err
	}
	l := &layout{channels: map[string]channelMeta{}}
	l.prefix = findPrefix(files)
	if l.prefix == "" && !hasTop(files, "", "channels.json") && !hasTop(files, "", "users.json") {
		return nil, fmt.Errorf("not a Slack export: no users.json or channels.json at its top level (or in one folder)")
	}

	usersFile := l.prefix + "users.json"
	if !hasTop(files, l.prefix, "users.json") && hasTop(files, l.prefix, "org_users.json") {
		usersFile = l.prefix + "org_users.json" // Enterprise Grid
	}
	if err := readJSON(src, usersFile, &l.users); err != nil {
		if !haveAgents {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%s is missing: it lists the members replay needs to tell agents from customers (or name them with --agents)", usersFile)
			}
			return nil, fmt.Errorf("read members: %w", err)
		}
		l.warns = append(l.warns, fmt.Sprintf("%s unreadable, using --agents only: %v", usersFile, err))
	}

	listings := []struct {
		name     string
		kind     channelKind
		required bool
	}{
		{"channels.json", publicChannel, true},
		{"groups.json", privateChannel, false},
		{"dms.json", directMessage, false},
		{"mpims.json", directMessage, false},
	}
	for _, ls := range listings {
		var convs []conversation
		err := readJSON(src, l.prefix+ls.name, &convs)
		if errors.Is(err, fs.ErrNotExist) {
			if ls.required {
				return nil, fmt.Errorf("%s is missing: it maps channel folders to channels", l.prefix+ls.name)
			}
			continue
		} else if err != nil {
			return nil, fmt.Errorf("read channel list: %w", err)
		}
		for _, c := range convs {
			// Channel and group DM folders are named by name; DM folders by ID.
			dir := c.Name
			if dir == "" {
				dir = c.ID
			}
			if dir == "" {
				continue
			}
			l.channels[dir] = channelMeta{ID: c.ID, Name: c.Name, Kind: ls.kind}
		}
	}

	byFolder := map[string]*folder{}
	var unlisted []string
	for _, f := range files {
		rel, ok := strings.CutPrefix(f.name, l.prefix)
		if !ok {
			l.skipped = append(l.skipped, skippedFile{f.name, "outside the export's folder"})
			continue
		}
		dir, base, nested := strings.Cut(rel, "/")
		if !nested {
			continue // a top-level listing (users.json, integration_logs.json, ...)
		}
		meta, listed := l.channels[dir]
		if !listed {
			if _, seen := byFolder[dir]; !seen {
				unlisted = append(unlisted, dir)
				byFolder[dir] = nil
			}
			l.skipped = append(l.skipped, skippedFile{f.name, "folder not listed in channels.json or groups.json"})
			continue
		}
		if meta.Kind == directMessage {
			l.skipped = append(l.skipped, skippedFile{f.name, "direct message (not watched)"})
			continue
		}
		if !isDayFile(base) {
			l.skipped = append(l.skipped, skippedFile{f.name, "not a day file"})
			continue
		}
		fo := byFolder[dir]
		if fo == nil {
			fo = &folder{meta: meta}
			byFolder[dir] = fo
		}
		fo.days = append(fo.days, f)
	}
	for _, dir := range unlisted {
		l.warns = append(l.warns, fmt.Sprintf("folder %q is not listed in channels.json or groups.json: skipped", l.prefix+dir))
	}
	for _, fo := range byFolder {
		if fo == nil {
			continue
		}
		sort.Slice(fo.days, func(i, j int) bool { return fo.days[i].name < fo.days[j].name })
		l.folders = append(l.folders, *fo)
	}
	sort.Slice(l.folders, func(i, j int) bool { return l.folders[i].meta.Name < l.folders[j].meta.Name })
	sort.Slice(l.skipped, func(i, j int) bool { return l.skipped[i].File < l.skipped[j].File })
	return l, nil
}

// isDayFile reports whether base is named YYYY-MM-DD.json.
func isDayFile(base string) bool {
	day, ok := strings.CutSuffix(base, ".json")
	return ok && validDay(day)
}

func validDay(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, c := range []byte(s) {
		if i == 4 || i == 7 {
			continue
		}
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// hasTop reports whether files holds prefix+name.
func hasTop(files []fileInfo, prefix, name string) bool {
	for _, f := range files {
		if f.name == prefix+name {
			return true
		}
	}
	return false
}

// findPrefix returns "dir/" when the export's listings sit in a single
// folder of the ZIP (as when someone zips the unpacked folder), else "".
func findPrefix(files []fileInfo) string {
	if hasTop(files, "", "users.json") || hasTop(files, "", "channels.json") {
		return ""
	}
	var found string
	for _, f := range files {
		dir, base := path.Split(f.name)
		if (base == "channels.json" || base == "users.json") && strings.Count(dir, "/") == 1 {
			if found != "" && found != dir {
				return ""
			}
			found = dir
		}
	}
	return found
}

// readAll reads r into buf's storage, reusing it.
func readAll(r io.Reader, buf *bytes.Buffer, size int64) ([]byte, error) {
	buf.Reset()
	if size > 0 && size < 1<<31 {
		buf.Grow(int(size) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}
