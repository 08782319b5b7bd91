# SPDX-License-Identifier: MIT
# bash completion for memregion: commands, subcommands and options, read from
# the program's own --help so that they never go out of step with it, and
# shared-memory object names from /dev/shm, and for connect the names of
# live services. Installed as
# share/bash-completion/completions/memregion; `source` it to try it by hand.

# The program being completed, when it can be run (./build/tools/memregion),
# else the one on PATH.
_memregion_prog()
{
    local p=${COMP_WORDS[0]}
    case $p in
    */*) [[ -x $p ]] && { printf '%s\n' "$p"; return; } ;;
    esac
    printf '%s\n' memregion
}

# The commands: the "commands:" section of `memregion --help`, and help.
_memregion_commands()
{
    "$(_memregion_prog)" --help 2>/dev/null |
        awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }'
    echo help
}

# The subcommands of a command: its "subcommands:" section, or the lowercase
# words after the command in its usage lines (pipe send, pipe recv).
_memregion_subcommands()
{
    "$(_memregion_prog)" "$1" --help 2>/dev/null |
        awk -v cmd="$1" '
            /^subcommands:/ { on = 1; next }
            on && /^  [a-z]/ { print $1; next }
            on && /^$/ { on = 0 }
            /^(usage:)? +memregion / {
                for (i = 1; i < NF; i++)
                    if ($i == cmd && $(i + 1) ~ /^[a-z]+$/) print $(i + 1)
            }' | sort -u
}

# The options of `memregion WORDS... --help`: the lines that start with a dash.
_memregion_options()
{
    "$(_memregion_prog)" "$@" --help 2>/dev/null |
        awk '/^ +-/ { for (i = 1; i <= NF; i++) { w = $i; sub(/,$/, "", w);
                                                  if (w ~ /^-/) print w; else break } }'
}

# Does the option $2 of `memregion $1` take an argument, and which (its
# placeholder word in the help: PATH, FILE, SIZE, ...)? Prints it, or nothing.
_memregion_optarg()
{
    local opt=$1
    shift
    "$(_memregion_prog)" "$@" --help 2>/dev/null |
        awk -v opt="$opt" '/^ +-/ { for (i = 1; i < NF; i++) { w = $i; sub(/,$/, "", w);
                                   if (w == opt && $(i + 1) ~ /^[A-Z]/) { print $(i + 1); exit } } }'
}

_memregion_shm_names()
{
    local f
    for f in /dev/shm/*; do
        [[ -f $f ]] && printf '%s\n' "${f#/dev/shm/}"
    done
}

# The live services of this user, for connect: the first column of
# `memregion services`.
_memregion_services()
{
    "$(_memregion_prog)" services 2>/dev/null | awk 'NR > 1 && $2 == "live" { print $1 }'
}

_memregion()
{
    local cur=${COMP_WORDS[COMP_CWORD]} cword=$COMP_CWORD
    local prev=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()

    if ((cword == 1)); then
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W '--help --version' -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$(_memregion_commands)" -- "$cur")
        fi
        return
    fi

    local cmd=${COMP_WORDS[1]} sub=
    case $cmd in
    help)
        ((cword == 2)) && mapfile -t COMPREPLY < <(compgen -W "$(_memregion_commands)" -- "$cur")
        return
        ;;
    shm | pipe | net)
        if ((cword == 2)); then
            mapfile -t COMPREPLY < <(compgen -W "$(_memregion_subcommands "$cmd")" -- "$cur")
            return
        fi
        sub=${COMP_WORDS[2]}
        ;;
    esac

    # The argument of the option before, if it takes one.
    if [[ $prev == -* ]]; then
        local arg
        arg=$(_memregion_optarg "$prev" "$cmd" ${sub:+"$sub"})
        case $arg in
        PATH | FILE | SPEC)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return
            ;;
        ?*) return ;;
        esac
    fi

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_memregion_options "$cmd" ${sub:+"$sub"})" -- "$cur")
        return
    fi

    # net export takes a TARGET as dump does; net get and put take files.
    local what=$cmd
    [[ $cmd == net && $sub == export ]] && what=dump
    [[ $cmd == net && $sub != export ]] && what=attach
    case $what in
    shm)
        [[ $sub != ls ]] && mapfile -t COMPREPLY < <(compgen -W "$(_memregion_shm_names)" -- "$cur")
        ;;
    dump | peek | poke | share)
        # TARGET: a file, or shm:/name. bash splits words at ':', so the word
        # is read from the line and the part before the last ':' left out.
        local word=$cur
        if [[ -n ${COMP_LINE-} ]]; then
            word=${COMP_LINE:0:COMP_POINT}
            word=${word##*[[:space:]]}
        fi
        if [[ $word == shm:* ]]; then
            local n
            mapfile -t COMPREPLY < <(
                for n in $(_memregion_shm_names); do printf 'shm:/%s\n' "$n"; done |
                    while IFS= read -r n; do
                        [[ $n == "$word"* || ${n/shm:\//shm:} == "$word"* ]] && printf '%s\n' "$n"
                    done)
            if [[ $COMP_WORDBREAKS == *:* && $word == *:* ]]; then
                local i keep=${word%"${word##*:}"}
                for i in "${!COMPREPLY[@]}"; do
                    COMPREPLY[i]=${COMPREPLY[i]#"$keep"}
                done
            fi
        else
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            [[ shm: == "$cur"* ]] && COMPREPLY+=(shm:/)
        fi
        ;;
    connect)
        mapfile -t COMPREPLY < <(compgen -W "$(_memregion_services)" -- "$cur")
        ;;
    pipe)
        # recv NAME: the senders waiting, which offer the service pipe-NAME.
        [[ $sub == recv ]] &&
            mapfile -t COMPREPLY < <(compgen -W "$(_memregion_services | sed -n 's/^pipe-//p')" -- "$cur")
        ;;
    attach)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        ;;
    esac
}

complete -F _memregion memregion
