# The lcores and mode options a test gives c10m; source it.
# Pipeline variants of a suite (meson runs them with C10M_PIPELINE=N): c10m in
# --pipeline mode with one rx lcore and N workers. This machine has two CPUs: the
# main lcore (stats) and the rx lcore share CPU 0, the workers CPU 1.
c10m_lcores() {  # the EAL's lcore option
    local n=${C10M_PIPELINE:-0}
    if [ -n "${C10M_LCORES:-}" ]; then
        echo "$C10M_LCORES"
    elif [ "$n" = 0 ]; then
        echo "-l 0"
    else
        echo "--lcores=0@0,1@0,(2-$((n + 1)))@1"
    fi
}
c10m_mode_args() {  # application options for the mode
    local n=${C10M_PIPELINE:-0}
    [ "$n" = 0 ] || echo "--pipeline"
}
